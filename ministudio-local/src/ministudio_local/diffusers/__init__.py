"""Open video models (Wan, LTX-Video, CogVideoX) through Hugging Face diffusers."""
