"""The AI supervisor's turn: the agent, how each reply is designed and checked (moves,
guidance, the verified floor, coherence), exemplars, and the safety guard."""
