"""Who may see and do what: one table, compiled into a Scope once per request.

This package sits at the bottom of the house (beside audit and common): it imports no app of the
project. Everything an app needs to decide access comes from here:

- `roles`:  the roles, the node each is held at, and the capabilities (vocabulary only);
- `table`:  role × capability (what each role may do, at the node it is held at and below it), the
            anonymous reader's row, and the side rules (who acts as which side of an entity);
- `scope`:  `Scope`, compiled from a user's memberships: `can`, `village_q`, `township_q`, `held`…,
            and `sides(entity, obj)`;
- `checks`: `require_cap`, `deny`, `get_in_scope_or_404` and `access_by_id`, the building blocks of the
            apps' `access_<entity>_by_id` selectors;
- `recipients`: the reverse question: which memberships hold a side at given nodes (for notifications).
"""
