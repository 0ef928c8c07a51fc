"""Side-by-side benchmarks of tansaku against Optuna and rustuna; see benchmarks/README.md."""
