#!/bin/sh
# Runs inside the image's chroot after the overlay is copied: the settings that are not plain files.
set -eu

# Services: the network stack, firewall, AppArmor, audit, the engine's API socket and the first-boot
# units on. SSH installed but off until the setup wizard turns it on.
systemctl enable systemd-networkd.service systemd-resolved.service systemd-timesyncd.service \
  nftables.service apparmor.service auditd.service podman.socket blueprint-services.service \
  blueprint-ssh-hostkeys.service blueprint-provision.service blueprint-setup-done.path \
  blueprint-setup@tty1.service blueprint-setup@ttyS0.service blueprint-dashboard.service \
  blueprint-recovery-key-note.service
systemctl disable ssh.service ssh.socket
# The firewall before setup is the one setup writes for a box with no choices made yet (default-deny
# out, image/README.md): its DNS rules name systemd-resolved's uid, known only once it exists.
sed -i "s/@RESOLVER_UID@/$(id -u systemd-resolve)/g" /etc/nftables.conf
if grep -q @RESOLVER_UID@ /etc/nftables.conf; then echo "configure: nftables.conf has no resolver uid" >&2; exit 1; fi
# Nothing should ever start a debug shell on tty9, or reboot from Ctrl-Alt-Del on the console.
systemctl mask debug-shell.service ctrl-alt-del.target

# No default passwords: root is locked, and the only login is the admin the wizard creates (by key
# over SSH, or with SSH off by the console password the wizard asks for).
passwd -l root
chmod 0700 /root
# Root's own configuration root's only (Lynis FILE-7524): sshd's (the policy is in sshd_config.d) and
# cron's tables; nothing secret is in them, but no other user needs to read when and what root runs.
chmod 0600 /etc/ssh/sshd_config
for d in /etc/cron.d /etc/cron.daily /etc/cron.hourly /etc/cron.weekly /etc/cron.monthly /etc/cron.yearly; do
  if [ -d "$d" ]; then chmod 0700 "$d"; fi
done
if [ -f /etc/crontab ]; then chmod 0600 /etc/crontab; fi

# Users' files private to their group by default; password ageing and hashing for any password set.
sed -i -E \
  -e 's/^UMASK\s.*/UMASK\t\t027/' \
  -e 's/^PASS_MAX_DAYS\s.*/PASS_MAX_DAYS\t365/' \
  -e 's/^PASS_MIN_DAYS\s.*/PASS_MIN_DAYS\t1/' \
  /etc/login.defs
grep -q '^SHA_CRYPT_MIN_ROUNDS' /etc/login.defs || printf 'SHA_CRYPT_MIN_ROUNDS\t500000\nSHA_CRYPT_MAX_ROUNDS\t1000000\n' >>/etc/login.defs

# Rootful Podman maps each container's root to an unprivileged range from here (userns=auto).
grep -q '^containers:' /etc/subuid 2>/dev/null || echo 'containers:2147483647:2147483648' >>/etc/subuid
grep -q '^containers:' /etc/subgid 2>/dev/null || echo 'containers:2147483647:2147483648' >>/etc/subgid


# The overlay adds an initramfs script (local-premount/blueprint-root-unique: the box halts when two
# disks carry the root its command line names); the build made the initramfs before the overlay was
# copied, so it is made again here, with it.
update-initramfs -u -k all
