"""The local cloud's SageMaker managed MLflow: a real MLflow tracking server and the MLflow App it stands for."""
