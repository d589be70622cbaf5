# The README's two commands: `make run` and `make test`. Both set everything up
# themselves on a machine with only Python 3.11 and make.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# Your own data: make run RAW_PATH=/path/to/files (users, events, connections, adoptions
# as .parquet, or as .csv: the format is taken from the files found there).
RAW_PATH ?= data/raw
RAW_FORMAT ?= $(if $(wildcard $(RAW_PATH)/events.csv),csv,parquet)
# The demo world (python -m targeting.demo --help); make run writes it to data/raw when
# that folder is empty, make test always builds on its own copy in data/demo.
DEMO_ARGS ?=
TEST_RAW_PATH := data/demo
TEST_DUCKDB_PATH := data/test.duckdb

DBT := $(BIN)/dbt
COMMA := ,
DBT_FLAGS := --profiles-dir . --project-dir .
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

# make run and make run-spark: the demo world in data/raw when that folder is empty
define demo_when_empty
@if [ "$(RAW_PATH)" = "data/raw" ] && [ -z "$$(ls -A data/raw 2>/dev/null)" ]; then \
	echo "data/raw is empty: generating the demo world there"; \
	$(BIN)/python -m targeting.demo --out data/raw $(DEMO_ARGS); \
fi
endef
# make test and make test-spark build the demo with this PII salt: an unusual one, so that
# the tests can search dbt's artifacts, logs and both warehouses for it (test_pii.py,
# test_spark_pii.py). Your own builds read TARGETING_PII_SALT from your environment.
TEST_PII_SALT := make-test-salt-b8e41d07c5a2
# the DuckDB demo warehouse that make test checks (make test-spark compares Spark's to it)
TEST_DUCKDB_BUILD = TARGETING_DUCKDB_PATH=$(TEST_DUCKDB_PATH) $(DBT) build $(DBT_FLAGS) \
	--vars '{targeting__raw_path: "$(TEST_RAW_PATH)", targeting__raw_format: parquet}'

.PHONY: run test test-slow install demo report bench bench-quality lint format clean lock \
	run-spark test-spark install-spark bench-engines

run: install
	$(demo_when_empty)
	$(DBT) build $(DBT_FLAGS) --vars '{targeting__raw_path: "$(RAW_PATH)", targeting__raw_format: $(RAW_FORMAT)}'
	$(BIN)/python -m targeting.summary

# pytest on every core, a test file per worker (each worker builds the shared small world
# once, when one of its files needs it): most tests wait on dbt, one Python process each.
PYTEST_PARALLEL ?= -n auto --dist loadfile
test: export TARGETING_PII_SALT := $(TEST_PII_SALT)
test: install $(TEST_RAW_PATH)/manifest.json
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	rm -f $(TEST_DUCKDB_PATH) $(TEST_DUCKDB_PATH).wal  # the end-to-end test starts from nothing
	$(TEST_DUCKDB_BUILD)
	TARGETING_DEMO_WAREHOUSE=$(TEST_DUCKDB_PATH) TARGETING_DEMO_RAW=$(TEST_RAW_PATH) \
		$(BIN)/pytest $(PYTEST_PARALLEL)
	TARGETING_DUCKDB_PATH=$(TEST_DUCKDB_PATH) $(BIN)/python -m targeting.summary
	$(BIN)/sqlfluff lint --processes 0 models tests/singular

# Builds killed at random points (several full builds, about 10 minutes): CI runs it too.
test-slow: install
	$(BIN)/pytest -m slow

# --- Spark (README, "Scaling out to Spark") -------------------------------------------
# The same project on Apache Spark (dbt-spark, a local Spark in the dbt process; Java 17):
# 1. dbt builds every SQL model and its tests up to the features (not the marts that read
#    the models' tables), 2. targeting.spark_ml trains on the driver and scores in Spark,
# 3. dbt builds those marts and their tests. Tables and the metastore live in
# TARGETING_SPARK_HOME (data/spark; make test-spark uses data/spark-test).
SPARK_STAMP := $(VENV)/.installed-spark-stamp
TARGETING_SPARK_HOME ?= data/spark
DBT_SPARK_FLAGS := $(DBT_FLAGS) --target spark --target-path target/spark
# the marts that read the ML tables (ml_propensity_models / _scores, ml_user_clusters,
# ml_feature_importances), and their tests
SPARK_ML_MARTS := source:targeting_ml+

# Spark cannot look for a file from SQL: the optional input campaign_assignments is read
# when the folder holds it (var targeting__campaign_assignments, true or false).
campaigns_in = $(if $(wildcard $(1)/campaign_assignments.*),true,false)

# (runs the three steps on RAW_PATH with VARS, in TARGETING_SPARK_HOME)
define spark_build
	TARGETING_SPARK_HOME=$(1) $(DBT) build $(DBT_SPARK_FLAGS) --exclude "$(SPARK_ML_MARTS)" --vars '$(2)'
	TARGETING_SPARK_HOME=$(1) $(BIN)/python -m targeting.spark_ml --vars '$(2)'
	TARGETING_SPARK_HOME=$(1) $(DBT) build $(DBT_SPARK_FLAGS) --select "$(SPARK_ML_MARTS)" --vars '$(2)'
endef

run-spark: install-spark
	$(demo_when_empty)
	$(call spark_build,$(TARGETING_SPARK_HOME),{targeting__raw_path: "$(abspath $(RAW_PATH))"$(COMMA) targeting__raw_format: $(RAW_FORMAT)$(COMMA) targeting__campaign_assignments: $(call campaigns_in,$(RAW_PATH))})

# The demo on Spark from nothing, then the equivalence tests against the DuckDB demo
# warehouse (built first when make test has not left one); the ML tests check the ML
# step's tables this run wrote (TARGETING_SPARK_ML_DONE) instead of running it again.
SPARK_TEST_HOME := data/spark-test
test-spark: export TARGETING_PII_SALT := $(TEST_PII_SALT)
test-spark: install-spark $(TEST_RAW_PATH)/manifest.json
	test -f $(TEST_DUCKDB_PATH) || $(TEST_DUCKDB_BUILD)
	rm -rf $(SPARK_TEST_HOME)
	$(call spark_build,$(SPARK_TEST_HOME),{targeting__raw_path: "$(abspath $(TEST_RAW_PATH))"$(COMMA) targeting__raw_format: parquet$(COMMA) targeting__campaign_assignments: $(call campaigns_in,$(TEST_RAW_PATH))})
	TARGETING_SPARK_HOME=$(SPARK_TEST_HOME) TARGETING_DEMO_WAREHOUSE=$(TEST_DUCKDB_PATH) \
		TARGETING_SPARK_ML_DONE=1 $(BIN)/pytest -m spark

install-spark: $(SPARK_STAMP)

$(SPARK_STAMP): requirements-spark.txt $(STAMP)
	if $(BIN)/python -m uv --version >/dev/null 2>&1; then \
		$(BIN)/python -m uv pip install --quiet --compile-bytecode --python $(BIN)/python \
			-r requirements-spark.txt ; \
	else \
		$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-spark.txt ; \
	fi
	@java -version >/dev/null 2>&1 || { echo "Spark needs Java 17: install a JDK (java on PATH)"; exit 1; }
	touch $(SPARK_STAMP)

# The test demo world, generated again whenever the generator changes.
$(TEST_RAW_PATH)/manifest.json: src/targeting/demo.py $(STAMP)
	rm -rf $(TEST_RAW_PATH)
	$(BIN)/python -m targeting.demo --out $(TEST_RAW_PATH)

# Creates .venv and installs the pinned requirements and this package. uv installs in
# seconds; when it cannot be had, plain pip does the same job more slowly.
install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9 \
		|| echo "uv not available: installing with pip"
	if $(BIN)/python -m uv --version >/dev/null 2>&1; then \
		$(BIN)/python -m uv pip install --quiet --compile-bytecode --python $(BIN)/python \
			-r requirements.txt -e . ; \
	else \
		$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -e . ; \
	fi
	touch $(STAMP)

# The lift report (HTML, charts inline) from the marts of $(DUCKDB_PATH).
DUCKDB_PATH ?= $(or $(TARGETING_DUCKDB_PATH),targeting.duckdb)
REPORT ?= reports/lift_report.html
report: install
	$(BIN)/python -m targeting.report $(DUCKDB_PATH) $(REPORT)

# The scale benchmark (README, "Scale"): demo, S and M worlds in data/bench, figures in
# BENCHMARKS.md: a full build, the floor, a daily run and a grid-move run per size. S
# takes about half an hour, M several hours; SIZES=S for S only, SIZES=XS (5k users,
# 60 days) to try it in minutes.
SIZES ?= demo S M
bench: install
	$(BIN)/python scripts/bench.py --sizes $(SIZES)

# The quality benchmark (README, "How good are the rankings"): five demo worlds of other
# seeds, sizes, product counts and signal strengths in data/bench-quality; per product the
# champion's, every candidate's and the best single-feature rule's top-decile lift on the
# out-of-time test, in BENCHMARKS.md's "## Quality" section. About 10 minutes.
bench-quality: install
	$(BIN)/python scripts/bench_quality.py

# S-size build times on DuckDB and on Spark, one after the other (README, "Scaling out
# to Spark"; about an hour): figures printed and written to data/bench/S/engines.json.
bench-engines: install-spark
	$(BIN)/python scripts/bench_engines.py

demo: install
	$(BIN)/python -m targeting.demo --out $(RAW_PATH) $(DEMO_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint --processes 0 models tests/singular

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	$(BIN)/sqlfluff fix models

# Re-pin requirements.txt from requirements.in (needs the registry).
lock: install
	$(BIN)/python -m uv pip compile requirements.in -o requirements.txt --python-version 3.11 --no-header

clean:
	rm -rf $(VENV) target logs dbt_packages data/demo data/test.duckdb data/spark-test
