# The README's two commands: `make demo` and `make test`. Both bootstrap what is missing.
.PHONY: demo test bootstrap bench fmt lint clean

demo:
	@bash ci/demo.sh

test:
	@bash ci/test.sh

bootstrap:
	@bash ci/bootstrap.sh

bench:
	@bash ci/bench.sh

fmt:
	cargo fmt --all
	.venv-3.12/bin/python -m ruff format gilmap tests benchmarks
	.venv-3.12/bin/python -m ruff check --fix gilmap tests benchmarks

clean:
	rm -rf target .venv-3.12 .venv-3.13 gilmap/*.so
