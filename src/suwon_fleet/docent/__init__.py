"""The docent robot's tour logic, free of ROS (일월수목원 해설 로봇).

planning.py   routes between stops on the site map, and the tour time estimate
recommend.py  which courses to offer a guest, ranked, with reasons
runner.py     the tour state machine a RunTour action server drives
phrases.py    what the robot says and shows (Korean first, English alongside)
ratings.py    guests' ratings in SQLite
simulate.py   a headless stand-in for the robot round the runner (tests, benchmarks)

Tour data (courses, stops, narrations, hours, facilities) is in the site file; its models and
load-time checks are suwon_fleet.core.tours.
"""
