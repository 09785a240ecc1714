"""Sites and what they mean to a user: host names made canonical (`names`), the user's
allow/block rules (`rules`), categories of well-known sites (`categories`) and whether a
host serves the declared goal (`intent`).
"""
