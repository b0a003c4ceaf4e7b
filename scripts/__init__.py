"""The project's build scripts, as one package: run them with `python -m scripts.<name>`.

`regen` drives the rest: `normalize_spec` and `spec_checks` read the vendored spec, `plan` decides
what each operation becomes, `overlay_checks` checks what meibel/ relies on, `api_index`,
`api_changes` and `migration_guide` write the documents. Nothing here ships in the wheel.
"""
