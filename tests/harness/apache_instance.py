"""A private Apache instance (Debian's multi-instance layout) for a test: the role
jampy.deploy.apache makes it when given ``jampy_apache_instance``; the test removes every
trace of it afterwards. The machine's main Apache (/etc/apache2, and a site that `make demo`
left running there) is never touched."""
import os
import shutil
import subprocess
from pathlib import Path

TOOLS = ["a2enmod", "a2dismod", "a2ensite", "a2dissite", "a2enconf", "a2disconf", "apache2ctl"]


class Instance:
    def __init__(self, name):
        self.name = name
        self.conf_dir = Path(f"/etc/apache2-{name}")
        self.log_dir = Path(f"/var/log/apache2-{name}")
        self.service = f"apache2-{name}"
        self.pid_file = Path(f"/var/run/apache2-{name}/apache2.pid")

    def env(self):
        return dict(os.environ, APACHE_CONFDIR=str(self.conf_dir))

    def ctl(self, *args):
        return subprocess.run(["apache2ctl", *args], env=self.env(), capture_output=True,
                              text=True, check=False)

    def running(self):
        try:
            pid = int(self.pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return False
        return Path(f"/proc/{pid}").exists()

    def remove(self):
        """Stop the instance and remove what Debian's setup-instance and the role made."""
        if Path(f"/etc/init.d/{self.service}").exists():
            subprocess.run(["service", self.service, "stop"], capture_output=True, check=False)
            subprocess.run(["update-rc.d", "-f", self.service, "remove"], capture_output=True,
                           check=False)
        elif self.conf_dir.exists():
            self.ctl("stop")
        for path in (self.conf_dir, self.log_dir, Path(f"/var/run/apache2-{self.name}"),
                     Path(f"/var/lock/apache2-{self.name}"),
                     Path(f"/var/cache/apache2-{self.name}")):
            shutil.rmtree(path, ignore_errors=True)
        for path in [Path(f"/etc/init.d/{self.service}"),
                     Path(f"/etc/logrotate.d/apache2-{self.name}"),
                     Path(f"/etc/default/apache-htcacheclean-{self.name}"),
                     *(Path(f"/usr/local/sbin/{tool}-{self.name}") for tool in TOOLS)]:
            path.unlink(missing_ok=True)
