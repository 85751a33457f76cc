"""backend_0_1 is test data (a backend as written for core 0.1), not tests of this session."""

collect_ignore = ["backend_0_1"]
