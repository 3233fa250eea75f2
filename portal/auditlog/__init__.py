"""The audit log page (审计日志): the trail of `audit`, filtered to the reader's townships.

The trail itself (models, the hash chain, audit_log) lives in `audit`, the bottom of the house; this page
reads the org tree and the access table as well, so it sits here at the top. It keeps the URL namespace
`audit` (config/urls.py), so `audit:event_list` still names it.
"""
