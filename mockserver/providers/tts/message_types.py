"""The `ApplicationUp` message types a TTS webhook can enable, each with its own path."""

MESSAGE_TYPES = (
    "uplink_message",
    "uplink_normalized",
    "join_accept",
    "downlink_ack",
    "downlink_nack",
    "downlink_sent",
    "downlink_failed",
    "downlink_queued",
    "downlink_queue_invalidated",
    "location_solved",
    "service_data",
)
