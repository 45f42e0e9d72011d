"""SageMaker Experiments records of a run: names, clients and idempotent data access shared by the functions."""
