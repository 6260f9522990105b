"""TTS's `PayloadFormatter` values (ttnpb), shared by the world schema and the formatters."""

NONE, JAVASCRIPT, CAYENNELPP = "FORMATTER_NONE", "FORMATTER_JAVASCRIPT", "FORMATTER_CAYENNELPP"
#: The repository and gRPC-service formatters call services the simulator does not have: a
#: device set to them behaves as FORMATTER_NONE (docs/formatters.md).
KINDS = (NONE, "FORMATTER_REPOSITORY", "FORMATTER_GRPC_SERVICE", JAVASCRIPT, CAYENNELPP)
