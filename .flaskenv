# Read by the `flask` command only (python-dotenv): commands run from the checkout
# use the development configuration and reach the services `make run` started.
FLASK_APP=wsgi
SOP_ENV=development
