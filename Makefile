# The two commands of the README. Both create .venv (tests/requirements.txt) on first use.
.PHONY: demo test benchmark clean

demo:  ## start the bundled OCP simulator, run the precheck-then-failover playbook against it, twice
	bash scripts/demo.sh

test:  ## every test and quality gate (what CI runs)
	bash scripts/test.sh

benchmark:  ## performance figures against the simulator
	bash scripts/benchmark.sh

clean:
	rm -rf .venv .tmp tests/output
