@echo off
rem Windows entry of the Azure CLI test double (see the file 'az' next to this one).
node "%~dp0az" %*
