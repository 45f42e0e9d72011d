"""The jobs image: preprocessing, training and serving under the SageMaker container contract."""
