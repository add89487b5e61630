from legacy_tools.logrotate import human_size, rotated_name


def test_rotated_name():
    assert rotated_name("/var/log/app.log", 2) == "/var/log/app.log.2.gz"


def test_human_size():
    assert human_size(512) == "512 B"
    assert human_size(4096) == "4 KiB"
