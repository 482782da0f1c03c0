# Models of the inventory module arrive with its issue; the app is installed now so its migrations have a home.
