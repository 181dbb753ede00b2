"""The reference for tests/bench/bench_lambda.py: a small skill written the SDK's standard way
(``lambda_function.py``). It is measured, never shipped."""
