"""MiniStudio provider ``hf``: hosted open video models through Hugging Face Inference Providers.

The plugin module is :mod:`ministudio_hf.plugin`; the declared models live in
:mod:`ministudio_hf.models`. ``huggingface_hub`` is imported only when a clip is rendered.
"""

__version__ = "0.1.0"
