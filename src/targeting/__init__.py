"""Early-adopter targeting: the Python side of the dbt project.

Pure functions over DataFrames that the dbt Python models call (training,
scoring, metrics) and the demo-world generator (``python -m targeting.demo``).
"""

__version__ = "0.1.0"
