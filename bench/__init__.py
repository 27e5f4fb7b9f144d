"""make bench: KloudSSO's sign-in throughput, latency, SQL statements and memory, driven over HTTP (see run.py)."""
