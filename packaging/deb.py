"""Lay out the bundle as a Linux install tree and pack it as a .deb with dpkg-deb.

The tree: /opt/hearth (the bundle), /usr/bin/hearth (a link to it), the desktop entry, the icon at the
usual sizes, and the AppStream metainfo. Depends lists the packages that provide the system libraries
the bundle links to but does not carry, found with ldd and `dpkg -S` on the build machine.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

PACKAGING = Path(__file__).resolve().parent
APP_ID = "org.hearth.Hearth"
ELF_MAGIC = b"\x7fELF"
# a Secret Service for the cookie vault (the Wayland client libraries are in Depends: the bundle lacks them)
RECOMMENDS = "gnome-keyring | kwalletmanager"


def install_tree(
    bundle: Path, root: Path, icons: Path, *, prefix: str, bundle_dir: str, bin_link: bool
) -> None:
    """Copy (hard-link where possible) the bundle to root/bundle_dir and the desktop files to root/prefix."""
    target = root / bundle_dir
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(bundle, target, symlinks=True, copy_function=_link_or_copy)
    share = root / prefix
    (share / "applications").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PACKAGING / f"{APP_ID}.desktop", share / "applications" / f"{APP_ID}.desktop")
    (share / "metainfo").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PACKAGING / f"{APP_ID}.metainfo.xml", share / "metainfo" / f"{APP_ID}.metainfo.xml")
    hicolor = share / "icons" / "hicolor"
    for png in icons.glob(f"*/{APP_ID}.png"):
        (hicolor / png.parent.name / "apps").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, hicolor / png.parent.name / "apps" / png.name)
    (hicolor / "scalable" / "apps").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PACKAGING / f"{APP_ID}.svg", hicolor / "scalable" / "apps" / f"{APP_ID}.svg")
    if bin_link:
        (root / "usr" / "bin").mkdir(parents=True, exist_ok=True)
        (root / "usr" / "bin" / "hearth").symlink_to(f"/{bundle_dir}/hearth")


def _link_or_copy(src: str, dst: str) -> None:
    try:
        Path(dst).hardlink_to(src)
    except OSError:
        shutil.copy2(src, dst)


def validate(root: Path, prefix: str) -> None:
    """desktop-file-validate and appstreamcli, where installed; a failure stops the build."""
    entry = root / prefix / "applications" / f"{APP_ID}.desktop"
    meta = root / prefix / "metainfo" / f"{APP_ID}.metainfo.xml"
    checks = [(["desktop-file-validate", str(entry)], "desktop-file-utils")]
    checks.append((["appstreamcli", "validate", "--no-net", "--explain", str(meta)], "appstream"))
    for cmd, package in checks:
        if shutil.which(cmd[0]) is None:
            print(f"build: note: {cmd[0]} not installed (apt-get install {package}); not validated")
            continue
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0 or (cmd[0] == "desktop-file-validate" and proc.stdout.strip()):
            raise SystemExit(f"build: {cmd[0]} rejects {cmd[-1]}:\n{proc.stdout}{proc.stderr}")
        print(f"build: {cmd[0]}: ok")


def system_packages(bundle: Path) -> list[str]:
    """The Debian packages providing the libraries the bundle's ELF files load but the bundle lacks."""
    elves = [p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink() and _is_elf(p)]
    carried = {p.name for p in bundle.rglob("*")}
    wanted: dict[str, str] = {}
    for chunk in range(0, len(elves), 64):
        proc = subprocess.run(["ldd", *map(str, elves[chunk : chunk + 64])], capture_output=True, text=True)
        for match in re.finditer(r"^\s*(\S+) => (/\S+)", proc.stdout, re.M):
            name, path = match.groups()
            if name not in carried:
                wanted[name] = path
    packages: set[str] = set()
    for path in sorted(set(wanted.values())):
        for candidate in dict.fromkeys(
            [path, str(Path(path).resolve()), path.replace("/lib/", "/usr/lib/", 1)]
        ):
            proc = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
            if proc.returncode == 0:
                packages.add(proc.stdout.split(":", 1)[0].split(",")[0].strip())
                break
    return sorted(packages)


def _is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(4) == ELF_MAGIC
    except OSError:
        return False


def build_deb(
    bundle: Path, out: Path, icons: Path, *, version: str, with_ai: bool, fast: bool = False
) -> Path:
    if shutil.which("dpkg-deb") is None:
        raise SystemExit("build: dpkg-deb is not installed (apt-get install dpkg-dev)")
    arch = subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()
    name = f"hearth{'-ai' if with_ai else ''}_{version}_{arch}.deb"
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        root = Path(tmp) / "root"
        install_tree(bundle, root, icons, prefix="usr/share", bundle_dir="opt/hearth", bin_link=True)
        validate(root, "usr/share")
        depends = system_packages(bundle)
        installed_kb = sum(p.lstat().st_size for p in root.rglob("*") if p.is_file()) // 1024
        (root / "DEBIAN").mkdir()
        control = {
            "Package": "hearth",
            "Version": version,
            "Section": "net",
            "Priority": "optional",
            "Architecture": arch,
            "Maintainer": "The Hearth developers <hearth@hearth-reader.invalid>",
            "Installed-Size": str(installed_kb),
            "Depends": ", ".join(depends),
            "Recommends": RECOMMENDS,
            "Homepage": "https://github.com/hearth-reader/hearth",
            "Description": "feed reader that fetches everything itself\n"
            " Hearth keeps subscriptions and articles in a local database, fetches every feed from\n"
            " your own machine, turns sites without feeds into feeds, and can summarise articles\n"
            f" with a local RWKV model{' (torch included)' if with_ai else ''}.",
        }
        (root / "DEBIAN" / "control").write_text(
            "".join(f"{k}: {v}\n" for k, v in control.items() if v), encoding="utf-8"
        )
        target = out / name
        # zstd: dpkg reads it since Debian 12 / Ubuntu 18.04, and xz took 10+ minutes for 640 MB here
        compression = ["-Zzstd", "-z1" if fast else "-z9"]
        subprocess.run(
            ["dpkg-deb", "--root-owner-group", *compression, "--build", str(root), str(target)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    print(f"build: deb Depends: {', '.join(depends)}")
    return target
