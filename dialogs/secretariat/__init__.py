"""The Secretariat's windows. Built into the Secretariat's router (bot/secretariat.py), whose
one filter checks every command and every button press of these dialogs."""
