"""The web app: one module per tab, wired in app.py. Only this package imports gradio."""
