"""Operations scripts kept alive since the old cron box; tests are being added slowly."""
