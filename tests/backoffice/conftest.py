# The ordering world (a company, its manager, an employee, a delivery address) for the
# back-office tests of verification and production.
from tests.orders.conftest import world  # noqa: F401
