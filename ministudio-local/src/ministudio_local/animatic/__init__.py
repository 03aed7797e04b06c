"""The ``animatic`` provider: storyboard previsualization clips drawn without any model."""
