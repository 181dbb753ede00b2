# Deployment: template validation and the Lambda artifact. Included from the Makefile.
#
#   make validate            cfn-lint + `sam validate --lint` on template.yaml
#   make package [ARCH=x86_64]
#                            build/lambda/ (template.yaml's CodeUri) and
#                            build/connection-game-lambda.zip, same content
#   then: .venv-sam/bin/sam deploy --guided   (no `sam build`: build/lambda/ is the build)
#
# aws-sam-cli lives in its own virtualenv, .venv-sam, because it pins boto3.

PYTHON   ?= python3
VENV     ?= .venv
BIN      ?= $(VENV)/bin

SAM_VENV        ?= .venv-sam
SAM_CLI_VERSION ?= 1.170.0
SAM             := $(SAM_VENV)/bin/sam
SAM_STAMP       := $(SAM_VENV)/.installed
# SAM CLI would otherwise send telemetry to AWS.
export SAM_CLI_TELEMETRY = 0

ARCH       ?= arm64
BUILD      ?= build
LAMBDA_DIR := $(BUILD)/lambda
LAMBDA_ZIP := $(BUILD)/connection-game-lambda.zip
# The artifact holds the project's own dependencies (pyproject's `dependencies`, not its
# extras: flask, cryptography and certifi are the web endpoint's, in the `web` extra) less
# what the python3.12 Lambda runtime already has: boto3 and what it needs.
LAMBDA_PROVIDED := boto3 botocore s3transfer jmespath urllib3 python-dateutil six

ifeq ($(ARCH),arm64)
  PIP_ARCH := aarch64
else ifeq ($(ARCH),x86_64)
  PIP_ARCH := x86_64
else
  $(error ARCH must be arm64 or x86_64, not $(ARCH))
endif
# The python3.12 runtime runs on Amazon Linux 2023 (glibc 2.34): manylinux2014 and
# manylinux_2_28 wheels both load there.
PIP_TARGET := --platform manylinux2014_$(PIP_ARCH) --platform manylinux_2_28_$(PIP_ARCH) \
              --implementation cp --python-version 3.12 --only-binary=:all:

.PHONY: sam-venv validate package

sam-venv: $(SAM_STAMP)

$(SAM_STAMP):
	@test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	@$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	@$(SAM_VENV)/bin/python -m pip install --quiet 'aws-sam-cli==$(SAM_CLI_VERSION)'
	@touch $@

validate: $(STAMP) $(SAM_STAMP)
	$(BIN)/cfn-lint template.yaml
	$(SAM) validate --lint --region us-east-1 --template-file template.yaml

# Prints one name==version a line from a `pip install --report`, leaving out the
# project itself and the packages named after the report file.
define LAMBDA_REQUIREMENTS_PY
import json, re, sys
canon = lambda name: re.sub(r"[-_.]+", "-", name).lower()
skip = {canon(name) for name in sys.argv[2:]}
for item in json.load(open(sys.argv[1]))["install"]:
    meta = item["metadata"]
    if canon(meta["name"]) not in skip:
        print(f"{meta['name']}=={meta['version']}")
endef
export LAMBDA_REQUIREMENTS_PY

# Zips a directory with sorted entries, fixed timestamps and modes: same input, same zip.
define DETERMINISTIC_ZIP_PY
import os, sys, zipfile
root, target = sys.argv[1], sys.argv[2]
paths = sorted(
    os.path.relpath(os.path.join(folder, name), root)
    for folder, _, names in os.walk(root) for name in names
)
with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
    for path in paths:
        info = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = 0o100644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        with open(os.path.join(root, path), "rb") as source:
            archive.writestr(info, source.read(), compresslevel=9)
endef
export DETERMINISTIC_ZIP_PY

package: $(STAMP)
	@test -f lambda/app.py || { echo "package: lambda/app.py is missing" >&2; exit 1; }
	rm -rf $(LAMBDA_DIR) $(LAMBDA_ZIP) $(BUILD)/wheel $(BUILD)/lambda-report.json
	mkdir -p $(LAMBDA_DIR)
	cp lambda/app.py $(LAMBDA_DIR)/app.py
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir $(BUILD)/wheel .
	$(BIN)/python -m pip install --quiet --dry-run --ignore-installed \
	    --report $(BUILD)/lambda-report.json $(PIP_TARGET) $(BUILD)/wheel/*.whl
	$(BIN)/python -c "$$LAMBDA_REQUIREMENTS_PY" $(BUILD)/lambda-report.json \
	    connection-game $(LAMBDA_PROVIDED) > $(BUILD)/lambda-requirements.txt
	@echo "package: bundling $$(tr '\n' ' ' < $(BUILD)/lambda-requirements.txt)"
	$(BIN)/python -m pip install --quiet --no-compile --no-deps --target $(LAMBDA_DIR) \
	    $(PIP_TARGET) $(BUILD)/wheel/*.whl -r $(BUILD)/lambda-requirements.txt
	rm -rf $(LAMBDA_DIR)/bin
	@# direct_url.json records this checkout's path and the wheel's hash: not reproducible.
	rm -f $(LAMBDA_DIR)/connection_game-*.dist-info/direct_url.json
	sed -i '/direct_url.json,/d' $(LAMBDA_DIR)/connection_game-*.dist-info/RECORD
	@py312=""; \
	for candidate in python3.12 $$(pyenv root 2>/dev/null)/versions/3.12*/bin/python3.12; do \
	    if "$$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; \
	    then py312=$$candidate; break; fi; \
	done; \
	if [ -n "$$py312" ]; then \
	    echo "package: byte-compiling with $$py312"; \
	    PYTHONWARNINGS=ignore::SyntaxWarning \
	        "$$py312" -m compileall -q -j 0 --invalidation-mode unchecked-hash $(LAMBDA_DIR); \
	else \
	    echo "package: no python3.12 found, shipping without .pyc (slower cold start)"; \
	fi
	$(BIN)/python -c "$$DETERMINISTIC_ZIP_PY" $(LAMBDA_DIR) $(LAMBDA_ZIP)
	@$(BIN)/python -c "import os, sys; print(f'{sys.argv[1]}: {os.path.getsize(sys.argv[1]) / 2**20:.1f} MB')" $(LAMBDA_ZIP)
