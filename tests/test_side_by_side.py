#!/usr/bin/python3
"""tools/side_by_side.py's bookkeeping, without running a benchmark: each CPU's generated section
of PERFORMANCE.md is replaced alone, a new CPU's is added after the others, and a whole process's
time, memory and last epoch line are read back from GNU time and the epoch line."""
import os
import shutil
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True  # tests write nothing into the repository (no tools/__pycache__)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import side_by_side  # noqa: E402

ZEN3 = {"cpu": "AuthenticAMD family 25 model 1 (AMD EPYC)", "onednn_isa": "avx2"}
ZEN4 = {"cpu": "AuthenticAMD family 25 model 17 (AMD EPYC)", "onednn_isa": "avx512_core_bf16"}


def section(context, body):
    begin, end = side_by_side.markers(side_by_side.cpu_key(context))
    return f"{begin}\n{body}\n{end}"


class UpdateDocs(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.mkdtemp()
        self.docs = os.path.join(self.folder, "PERFORMANCE.md")
        with open(self.docs, "w") as f:
            f.write("# Performance\n\n" + section(ZEN3, "old zen 3 table") + "\n\n" +
                    section(ZEN4, "zen 4 table") + "\n\n## Later section\n")
        side_by_side.DOCS = self.docs

    def tearDown(self):
        shutil.rmtree(self.folder)

    def text(self):
        with open(self.docs) as f:
            return f.read()

    def test_replaces_only_its_own_cpus_section(self):
        side_by_side.update_docs(section(ZEN3, "new zen 3 table"), side_by_side.cpu_key(ZEN3))
        text = self.text()
        self.assertIn("new zen 3 table", text)
        self.assertNotIn("old zen 3 table", text)
        self.assertIn("zen 4 table", text)
        self.assertEqual(text.count("side_by_side:begin"), 2)
        self.assertLess(text.index("new zen 3 table"), text.index("zen 4 table"))

    def test_adds_a_new_cpu_after_the_others(self):
        zen5 = {"cpu": "AuthenticAMD family 26 model 2 (AMD EPYC)", "onednn_isa": "avx512_core_bf16"}
        side_by_side.update_docs(section(zen5, "zen 5 table"), side_by_side.cpu_key(zen5))
        text = self.text()
        self.assertEqual(text.count("side_by_side:begin"), 3)
        self.assertLess(text.index("zen 4 table"), text.index("zen 5 table"))
        self.assertLess(text.index("zen 5 table"), text.index("## Later section"))
        self.assertIn("old zen 3 table", text)

    def test_the_key_names_vendor_family_model_and_isa(self):
        self.assertEqual(side_by_side.cpu_key(ZEN3), "AuthenticAMD family 25 model 1, avx2")
        self.assertNotEqual(side_by_side.cpu_key(ZEN3), side_by_side.cpu_key(ZEN4))


class WholeProcess(unittest.TestCase):
    @unittest.skipUnless(os.access("/usr/bin/time", os.X_OK), "GNU time is not installed")
    def test_reads_wall_clock_memory_and_the_last_epoch_line(self):
        lines = ("====> Epoch: 1  loss 200.0  recon 190.0  KL 10.0  test loss 160.2500  "
                 "images/s 650  92.31 s\n"
                 "====> Epoch: 2  loss 140.0  recon 123.0  KL 17.0  test loss 125.5000  "
                 "images/s 700  85.70 s\n")
        result = side_by_side.whole_process(["/bin/sh", "-c", f"printf '{lines}'"])
        self.assertEqual(result["test_loss"], 125.5)
        self.assertEqual(result["images_per_second"], 700)
        self.assertGreater(result["rss_mib"], 0.0)
        self.assertGreaterEqual(result["seconds"], 0.0)
        self.assertLess(result["seconds"], 60.0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
