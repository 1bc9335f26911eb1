"""Lying-pose renders for the hip-flexor (modified Thomas) test, with known leg angles.

Run with the renderer's environment (torch + anny), from anywhere:

    /work/synthvenv/bin/python bench/render_thomas.py OUT [--n 24] [--seed 100017]
        [--synth ../shared/tools/synth] [--width 1280 --height 720]

The owner's renderer (``../shared/tools/synth``, imported, not copied) poses anny for a
standing side view. Here a subclass poses the legs for the test instead and turns the
body to lie on its back on a table, side-on to the camera:

* the **hanging leg** (the one nearer the camera) has its thigh rotated back from the
  reference pose by ``thigh_extension_deg`` (so it rests that much below the horizontal;
  negative values leave it above, as a short hip flexor would) and its knee bent by
  ``knee_flexion_deg``; the foot keeps its rest angle to the shin;
* the **hugged leg** (the far one) is flexed at the hip by ``hug_hip_flexion_deg`` and at
  the knee by ``hug_knee_flexion_deg``, the thigh towards the chest;
* the pelvis is tilted back and the lumbar curve flattened (the test's flat back), arms
  lie along the trunk;
* the body is turned -90° about the left-right axis (face up), its back on a box-shaped
  table 0.9 m high whose end is at the hip, drawn into the room behind the person; the
  camera looks horizontally from the near side at the body's mid-height (yaw ±4°, no
  roll), framing the body to 70-85 % of the picture width.

Ground truth (``thomas`` in the JSON): the set angles; the **image** angles of the rig's
joint centres as a perfect 2-D landmark detector would see them (hanging thigh to the
image horizontal, + above, and knee flexion, 0 = straight; hugged leg's trunk-thigh angle);
and the same angles in 3-D, in the body's sagittal plane. Seeds >= 100000 only.

What it cannot show: hands do not hold the hugged knee; the table is painted flat behind
the person (no contact shadow, the thighs do not compress on it); the rig's joint
centres are not MediaPipe's landmarks (MediaPipe's hip sits ~1 % of height anterior, i.e.
above the true joint when lying); clothes and skin are the renderer's painted ones.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _angles_2d(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray) -> tuple[float, float]:
    """(thigh angle to the image horizontal, + = knee above the hip; knee flexion)."""
    v = knee - hip
    thigh = float(np.degrees(np.arctan2(-v[1], abs(v[0]))))
    a, b = hip - knee, ankle - knee
    cos = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
    return thigh, 180.0 - float(np.degrees(np.arccos(np.clip(cos, -1, 1))))


def _angles_3d(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray) -> tuple[float, float]:
    """The same in the world's sagittal (y, z) plane of the lying body."""
    v = knee - hip
    thigh = float(np.degrees(np.arctan2(v[2], abs(v[1]))))
    a, b = (hip - knee)[1:], (ankle - knee)[1:]
    cos = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
    return thigh, 180.0 - float(np.degrees(np.arccos(np.clip(cos, -1, 1))))


def _trunk_thigh_2d(shoulder: np.ndarray, hip: np.ndarray, knee: np.ndarray) -> float:
    a, b = shoulder - hip, knee - hip
    cos = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
    return float(np.degrees(np.arccos(np.clip(cos, -1, 1))))


def _convex_coverage(poly: np.ndarray, h: int, w: int, ss: int = 4) -> np.ndarray:
    """Share of each pixel inside a convex polygon (K, 2), with ss x ss samples a pixel."""
    c = poly - poly.mean(axis=0)
    order = np.argsort(np.arctan2(c[:, 1], c[:, 0]))
    p = poly[order]
    ys = (np.arange(h * ss) + 0.5) / ss
    xs = (np.arange(w * ss) + 0.5) / ss
    inside = np.ones((h * ss, w * ss), dtype=bool)
    for a, b in zip(p, np.roll(p, -1, axis=0), strict=True):
        # counter-clockwise in y-down pixels: inside is where the cross product is >= 0
        inside &= ((b[0] - a[0]) * (ys[:, None] - a[1]) - (b[1] - a[1]) * (xs[None, :] - a[0])) >= 0
    return inside.reshape(h, ss, w, ss).mean(axis=(1, 3))


def make_renderer(synth_dir: Path, cfg: dict):
    """The owner's renderer, subclassed for the Thomas-test pose (see the module notes)."""
    sys.path.insert(0, str(synth_dir))
    import synth.render as sr
    from synth.body import PosedBody, Posture, rot

    class ThomasRenderer(sr.Renderer):
        """The renderer with the Thomas-test pose, a table and a side camera for lying."""

        table_z = 0.9  # a high treatment table: the hanging foot stays off the floor
        table_half_width = 0.38
        table_length = 1.9

        def __init__(self, cfg):
            super().__init__(cfg)
            self._lying = np.zeros((1, 3))
            # render() frames the picture with the module's make_camera: use ours.
            sr.make_camera = self._camera

        def sample_spec(self, seed):
            spec = super().sample_spec(seed)
            rng = np.random.default_rng(seed + 7)
            p = spec["posture"]
            spec["arms"] = "side"
            spec["posture"] = Posture(
                pelvic_tilt=0.0,
                lordosis=0.0,
                thorax_lean=0.0,
                head_pitch=float(rng.uniform(-5, 10)),
                knee_flex=0.0,
                shoulder_flex=float(rng.uniform(0, 10)),
                arm_abduction=float(rng.uniform(8, 14)),
                elbow_flex=float(rng.uniform(5, 20)),
                toe_out=p.toe_out,
            )
            spec["thomas"] = {
                "thigh_extension_deg": float(rng.uniform(-16, 20)),
                "knee_flexion_deg": float(rng.uniform(35, 100)),
                "hug_hip_flexion_deg": float(rng.uniform(110, 130)),
                "hug_knee_flexion_deg": float(rng.uniform(125, 145)),
                "pelvic_tilt_deg": float(rng.uniform(-12, -6)),
                "lordosis_deg": float(rng.uniform(-15, -8)),
            }
            return spec

        def pose(self, spec):
            bm, ph, p, th = self.bm, spec["phenotype"], spec["posture"], spec["thomas"]
            rest = bm.pose(ph, p).measure()
            p.pelvic_tilt, p.lordosis = th["pelvic_tilt_deg"], th["lordosis_deg"]
            _, _, rest_heads = bm._forward(ph, {})
            rots = bm._world_rots(p, rest_heads, 0.0)
            near = "L" if spec["side"] > 0 else "R"
            far = "R" if near == "L" else "L"
            e, k = th["thigh_extension_deg"], th["knee_flexion_deg"]
            hh, hk = th["hug_hip_flexion_deg"], th["hug_knee_flexion_deg"]
            for side, thigh, shank in ((near, e, e + k), (far, -hh, -hh + hk)):
                rots["upperleg01." + side] = rot("x", thigh)
                rots["lowerleg01." + side] = rot("x", shank)
                rots["foot." + side] = rot("x", shank)
            verts, heads, _ = bm._forward(ph, rots)
            lie = rot("x", -90.0)  # anterior (-y) turns up (+z), the head towards +y
            verts, heads = verts @ lie.T, heads @ lie.T
            hip = 0.5 * (heads[bm.idx["upperleg01.L"]] + heads[bm.idx["upperleg01.R"]])
            on_table = verts[:, 1] >= hip[1]
            shift = np.array([0.0, -hip[1], self.table_z - verts[on_table, 2].min()])
            verts, heads = verts + shift, heads + shift
            body = PosedBody(bm, verts, heads, 0.0, 0.0, 0.0)
            body.measure = lambda: dict(rest)
            self._lying = verts
            return body, rest, rest["lordosis_deg"]

        def _render_room(self, cam, side, bg, lights, shadow):
            img = super()._render_room(cam, side, bg, lights, shadow)
            hw, z, y0 = self.table_half_width, self.table_z, 0.03
            y1 = y0 + self.table_length
            near = side * hw
            faces = {
                "front": ([[near, y0, 0], [near, y1, 0], [near, y1, z], [near, y0, z]], 0.55),
                "top": ([[near, y0, z], [near, y1, z], [-near, y1, z], [-near, y0, z]], 0.9),
                "end": ([[near, y0, 0], [near, y0, z], [-near, y0, z], [-near, y0, 0]], 0.4),
            }
            base = sr.srgb_to_linear(np.array([0.55, 0.42, 0.30]))
            for quad, shade in faces.values():
                poly = sr.clip_near(np.array(quad, float), cam)
                if len(poly) < 3:
                    continue
                xy, _ = cam.project(poly)
                cover = _convex_coverage(xy, img.shape[0], img.shape[1])
                img[:] = img * (1 - cover[..., None]) + (base * shade) * cover[..., None]
            return img

        def _camera(self, rng, stature, width, height, side, cfg):
            """Horizontal camera at about table height framing the lying body's length."""
            verts = self._lying
            fov = rng.uniform(45.0, 60.0)
            f = height / (2 * np.tan(np.radians(fov) / 2))
            ymin, ymax = verts[:, 1].min(), verts[:, 1].max()
            zmin, zmax = verts[:, 2].min(), verts[:, 2].max()
            fill = rng.uniform(0.70, 0.85)
            dist = max(f * (ymax - ymin) / (fill * width), f * (zmax - zmin) / (0.75 * height))
            yaw = rng.uniform(-cfg["yaw_deg"], cfg["yaw_deg"])
            fwd = rot("z", yaw) @ np.array([-side, 0.0, 0.0])
            right = np.cross(fwd, [0, 0, 1.0])
            right /= np.linalg.norm(right)
            down = np.cross(fwd, right)
            centre = np.array([0.0, (ymin + ymax) / 2, (zmin + zmax) / 2])
            pos = centre - fwd * dist + np.array([0, 0, rng.uniform(-0.05, 0.05)])
            R = np.stack([right, down, fwd])
            info = {
                "fov_v_deg": fov,
                "focal_px": f,
                "cx": width / 2,
                "cy": height / 2,
                "height_m": float(pos[2]),
                "distance_m": float(dist),
                "yaw_deg": yaw,
                "roll_deg": 0.0,
                "position_m": pos.tolist(),
                "R_world_to_cam": R.tolist(),
            }
            return sr.Camera(pos, R, f, width, height), info

    return ThomasRenderer(cfg)


def truth_block(gt: dict, spec_thomas: dict) -> dict:
    """The Thomas-test truth from the render's key points (image and 3-D)."""
    near = gt["camera"]["near_side"]
    far = "R" if near == "L" else "L"
    k2 = {k: np.array(v) for k, v in gt["keypoints_2d"].items()}
    k3 = {k: np.array(v) for k, v in gt["keypoints_3d"].items()}
    thigh2, knee2 = _angles_2d(k2[f"hip_{near}"], k2[f"knee_{near}"], k2[f"ankle_{near}"])
    thigh3, knee3 = _angles_3d(k3[f"hip_{near}"], k3[f"knee_{near}"], k3[f"ankle_{near}"])
    shoulder = 0.5 * (k2["shoulder_L"] + k2["shoulder_R"])
    hug = _trunk_thigh_2d(shoulder, k2[f"hip_{far}"], k2[f"knee_{far}"])
    return {
        "set": spec_thomas,
        "hanging_side": "left" if near == "L" else "right",
        "image": {
            "thigh_angle_deg": round(thigh2, 3),
            "knee_flexion_deg": round(knee2, 3),
            "hugged_trunk_thigh_deg": round(hug, 3),
        },
        "world": {"thigh_angle_deg": round(thigh3, 3), "knee_flexion_deg": round(knee3, 3)},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--n", type=int, default=24)
    ap.add_argument("--seed", type=int, default=100017, help="base seed (>= 100000)")
    ap.add_argument("--synth", type=Path, default=ROOT.parent / "shared" / "tools" / "synth")
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=720)
    args = ap.parse_args()
    if args.seed < 100000:
        ap.error("seeds below 100000 are reserved")
    from PIL import Image

    renderer = make_renderer(
        args.synth, {"width": args.width, "height": args.height, "supersample": 2}
    )
    args.out.mkdir(parents=True, exist_ok=True)
    for i in range(args.n):
        seed = args.seed * 1000003 + i
        spec_thomas = renderer.sample_spec(seed)["thomas"]
        img, mask, gt = renderer.render(seed)
        gt["thomas"] = truth_block(gt, spec_thomas)
        stem = args.out / f"thomas_{seed:012d}"
        img.save(stem.with_suffix(".png"))
        Image.fromarray(mask).save(str(stem) + "_mask.png")
        stem.with_suffix(".json").write_text(json.dumps(gt, indent=1, default=float))
        t = gt["thomas"]["image"]
        print(f"{stem.name}: thigh {t['thigh_angle_deg']:+.1f}°, knee {t['knee_flexion_deg']:.1f}°")


if __name__ == "__main__":
    main()
