"""A user's copy of the breakout (its public parts under another name and import path),
swept by ``bench_sweep.py`` beside the built-in: a user strategy must be as fast."""

from vzb.strategies import Strategy
from vzb.strategies.volume_zone_breakout import PARAMETERS, STRATEGY, kernel

MY_BREAKOUT = Strategy(
    "my_breakout",
    PARAMETERS,
    kernel=kernel,
    indicators=("resistance",),
    sweep_plan=STRATEGY.sweep_plan,
    bar_cost=STRATEGY.bar_cost,
)
