"""The configs shipped with evornn (read with importlib.resources: evornn.config.config_dir)."""
