"""SageMaker jobs as local processes under the container contract; knows nothing of moto except moto_jobs.py.

A runner takes the Create*Job request as SageMaker receives it, an S3 client pointed at the local
cloud and a run folder, and returns the Describe*Job response. Each job gets its own folder laid
out like /opt/ml (the job finds it through OPT_ML_ROOT) and its output kept as a log file, the
local stand-in for CloudWatch Logs.
"""
