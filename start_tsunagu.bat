@echo off
rem つなぐボードを起動します（このファイルをダブルクリック、またはタスク スケジューラから）。
rem README「Windows のパソコンで動かす」を見てください。
chcp 65001 > nul
cd /d "%~dp0"
py -3 start.py %*
if errorlevel 1 pause
