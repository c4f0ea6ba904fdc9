# The README's two commands: `make demo` and `make test`. Both bootstrap what is missing.
.PHONY: demo test bootstrap bench wheel wheel-test fmt lint clean fuzz

demo:
	@bash ci/demo.sh

test:
	@bash ci/test.sh

bootstrap:
	@bash ci/bootstrap.sh

bench:
	@bash ci/bench.sh

wheel:
	@bash ci/wheel.sh

wheel-test:
	@bash ci/wheel_test.sh

# The differential fuzzer on every venv: FUZZ_SECONDS per Python (default 300), FUZZ_SEED.
fuzz:
	@bash ci/fuzz.sh

fmt:
	cargo fmt --all
	.venv-3.12/bin/python -m ruff format gilmap tests benchmarks ci
	.venv-3.12/bin/python -m ruff check --fix gilmap tests benchmarks ci

clean:
	rm -rf target dist .venv-3.12 .venv-3.13 .venv-3.14 .venv-3.15 gilmap/*.so
