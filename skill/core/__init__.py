"""The pure game engine: state, events, effects, one transition table, deck order, codec.

Standard library only; no I/O, no clock, no global randomness.
"""

from .machine import RULES, Ctx, IllegalMove, question, step
from .model import Game

__all__ = ["RULES", "Ctx", "Game", "IllegalMove", "question", "step"]
