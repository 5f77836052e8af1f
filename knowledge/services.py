"""Writes to the knowledge base. Articles are edited by supervisors in the admin; the shipped set
is created by `knowledge_seed` (knowledge/seed.py), which seed_demo calls too."""

from knowledge.seed import knowledge_seed

__all__ = ["knowledge_seed"]
