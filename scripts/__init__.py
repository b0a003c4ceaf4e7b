"""The project's build scripts, as one package: run them with `python -m scripts.<name>`.

`regen` drives the rest: `normalize_spec` and `spec_checks` read the vendored spec, `plan` decides
what each operation becomes, `overlay_checks` checks what meibel/ relies on, `api_index`,
`api_changes` (reading each generation with `_api_surface`), `migration_guide` and
`cli_commands` write the documents. Nothing here ships in the wheel.
"""
