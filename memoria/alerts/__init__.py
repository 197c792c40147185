"""Channels, the delivery engine and urgent alerts.

The engine's public interface is ``memoria.alerts.delivery`` (see its docstring).
"""
