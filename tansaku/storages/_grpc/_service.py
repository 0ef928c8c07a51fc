"""The proxy's gRPC service: its name, its methods, and the options both ends set.

One unary method per storage call, named after it, carrying JSON bytes (``_codec.py``) through
grpcio's generic handlers: no protobuf schema and no code generation step.
"""

from __future__ import annotations

SERVICE = "tansaku.storage.StorageProxy"

# Calls whose effect a retry must not repeat; each carries a request id, and the server keeps
# their answers by it (see _server.py).
NOT_IDEMPOTENT = frozenset(
    {"create_new_study", "delete_study", "create_new_trial", "set_trial_state_values"}
)

METHODS = (
    "create_new_study",
    "delete_study",
    "set_study_user_attr",
    "set_study_system_attr",
    "get_study_id_from_name",
    "get_study_name_from_id",
    "get_study_directions",
    "get_study_user_attrs",
    "get_study_system_attrs",
    "get_all_studies",
    "create_new_trial",
    "set_trial_param",
    "get_trial_id_from_study_id_trial_number",
    "get_trial_number_from_id",
    "set_trial_state_values",
    "set_trial_intermediate_value",
    "set_trial_user_attr",
    "set_trial_system_attr",
    "get_trial",
    "get_all_trials",
    "get_n_trials",
    "get_best_trial",
)

# A study of 100k trials answers get_all_trials with tens of megabytes; gRPC's 4 MB default
# would refuse it.
MESSAGE_OPTIONS = [("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)]

# Clients ping an idle-looking connection during a call, so that a proxy host that vanished
# without closing the connection (power loss, network partition) is noticed in about 40 s and
# the call retried, instead of waiting forever. The server lets them.
CLIENT_OPTIONS = [
    *MESSAGE_OPTIONS,
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    # Reconnect quickly once a restarted proxy listens again (gRPC's default backoff grows to
    # two minutes).
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 2_000),
]
SERVER_OPTIONS = [
    *MESSAGE_OPTIONS,
    ("grpc.http2.min_recv_ping_interval_without_data_ms", 10_000),
    ("grpc.http2.max_ping_strikes", 0),
    # One proxy per port: a second one started by mistake fails instead of sharing it.
    ("grpc.so_reuseport", 0),
]
