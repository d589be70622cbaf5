"""How much each fitted model relies on each input feature (logic: targeting.importance).

Read from the stored fits of ml_propensity_models alone (no row scored): milliseconds.
"""

from targeting.importance import IMPORTANCE_TYPES, model_importances
from targeting.relations import typed_relation


def model(dbt, session):
    dbt.config(materialized="table")
    models = dbt.ref("ml_propensity_models").select(
        "product_id, model_name, status, is_champion, evaluation_model, scoring_model"
    )
    return typed_relation(session, model_importances(models.df()), IMPORTANCE_TYPES)
