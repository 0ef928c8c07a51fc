"""Helpers shared by several tansaku packages; nothing here is public."""
