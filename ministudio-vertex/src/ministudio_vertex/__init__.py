"""MiniStudio provider ``vertex``: Google Veo 3.1 on Vertex AI through google-genai.

The plugin module is :mod:`ministudio_vertex.plugin`; model capabilities and prices are in
:mod:`ministudio_vertex.models`, the API's extra rules in :mod:`ministudio_vertex.rules`.
"""

__version__ = "0.1.0"
