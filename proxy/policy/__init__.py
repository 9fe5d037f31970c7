"""The policy the DPO and the RSSI write: schema, loading, and the pure plan/decide engine."""
