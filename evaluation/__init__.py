"""Tools that measure storybot — eval harness, calibration, baselines, benchmarks. The query path never imports them."""
