"""The supervisor's pages (namespace supervisor, /supervisor/): the SLA dashboard with its CSV
exports, the approvals inbox (maker-checker steps awaiting a decision) and the business
calendars. URLs in cases/web/supervisor_urls.py; templates in cases/templates/supervisor/."""
