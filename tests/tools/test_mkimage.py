"""tools/mkimage.sh: the SD-card image U-Boot's distro boot reads, and the
Raspberry Pi boot files, checked from the outside: the partition table
through sfdisk, the FAT partition through mtools, the files' bytes."""
import json
import os
import pathlib
import subprocess
import tempfile
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]
MKIMAGE = ROOT / "tools" / "mkimage.sh"
MIB = 1 << 20


def run(*args, **kw):
    return subprocess.run(list(map(str, args)), check=True, capture_output=True, text=True, **kw)


class SdCard(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        d = pathlib.Path(cls.dir.name)
        cls.kernel = os.urandom(300 * 1024)      # stands in for an Image
        (d / "Image").write_bytes(cls.kernel)
        cls.img = d / "sd.img"
        run(MKIMAGE, "sdcard", cls.img, d / "Image", "ktest=all quiet")

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def fat(self, *args):
        return run(*args[:1], "-i", f"{self.img}@@{MIB}", *args[1:])

    def test_one_bootable_fat_partition_from_1_mib(self):
        table = json.loads(run("sfdisk", "-J", self.img).stdout)["partitiontable"]
        self.assertEqual(table["label"], "dos")
        self.assertEqual(len(table["partitions"]), 1)
        p = table["partitions"][0]
        self.assertEqual(p["start"], 2048)
        self.assertEqual(p["type"], "e")
        self.assertTrue(p.get("bootable"))
        self.assertEqual((p["start"] + p["size"]) * 512, self.img.stat().st_size)

    def test_kernel_copied_whole(self):
        with tempfile.TemporaryDirectory() as d:
            out = pathlib.Path(d) / "Image"
            self.fat("mcopy", "::/Image", out)
            self.assertEqual(out.read_bytes(), self.kernel)

    def test_extlinux_boots_the_image_with_the_arguments(self):
        conf = self.fat("mtype", "::/extlinux/extlinux.conf").stdout
        lines = [l.split(None, 1) for l in conf.splitlines() if l.strip() and not l.startswith("#")]
        words = {k: v for k, *rest in lines for v in rest or [""]}
        self.assertEqual(words["default"], "arbor")
        self.assertEqual(words["label"], "arbor")
        self.assertEqual(words["kernel"], "/Image")
        self.assertEqual(words["append"], "ktest=all quiet")
        self.assertNotIn("fdt", words)   # U-Boot's own device tree is passed

    def test_same_inputs_same_image(self):
        again = self.img.with_name("again.img")
        run(MKIMAGE, "sdcard", again, self.img.with_name("Image"), "ktest=all quiet")
        table = lambda f: json.loads(run("sfdisk", "-J", f).stdout)["partitiontable"]["id"]
        self.assertEqual(table(again), table(self.img))

    def test_bad_usage_refused(self):
        p = subprocess.run([str(MKIMAGE), "sdcard", "x.img"], capture_output=True)
        self.assertEqual(p.returncode, 2)


class RaspberryPi(unittest.TestCase):
    def test_kernel8_and_config(self):
        with tempfile.TemporaryDirectory() as d:
            d = pathlib.Path(d)
            # An arm64 Image header's text_offset (bytes 8-15, little endian).
            kernel = os.urandom(8) + (0x80000).to_bytes(8, "little") + os.urandom(4080)
            (d / "Image").write_bytes(kernel)
            run(MKIMAGE, "rpi", d / "boot", d / "Image")
            self.assertEqual((d / "boot" / "kernel8.img").read_bytes(), kernel)
            conf = dict(l.split("=", 1) for l in (d / "boot" / "config.txt").read_text().splitlines()
                        if l and not l.startswith("#"))
            self.assertEqual(conf["arm_64bit"], "1")
            self.assertEqual(conf["kernel"], "kernel8.img")
            self.assertEqual(int(conf["kernel_address"], 0), 0x80000)
            self.assertEqual(conf["enable_uart"], "1")
            self.assertEqual(conf["dtoverlay"], "disable-bt")


if __name__ == "__main__":
    unittest.main()
