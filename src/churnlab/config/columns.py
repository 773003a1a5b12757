"""Column names every stage shares: the label and the pseudonymous customer key.

Prepare writes them, every later stage and the scorer read them; they are declared here once.
"""

TARGET = "churned"
CUSTOMER_KEY = "customer_key"
# Columns of the prepared table that are never model inputs.
NON_FEATURES = (CUSTOMER_KEY, TARGET)
