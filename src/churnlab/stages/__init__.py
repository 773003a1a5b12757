"""Pipeline stages: thin functions that read params and inputs, call pure code, write outputs."""
